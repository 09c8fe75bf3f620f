// /healthz and /readyz for the whole platform: ask every service, answer
// 200 only when every one answered 200 (the shape of the embedded process).
const SERVICES = ['registry', 'enrolment', 'scheduling', 'notify', 'console'];

async function aggregate(r, probe) {
    const replies = await Promise.all(SERVICES.map((service) =>
        r.subrequest(`/_health/${service}/${probe}`)
            .catch((error) => ({status: 502, responseText: String(error)}))));
    const services = {};
    let ok = true;
    replies.forEach((reply, i) => {
        let body;
        try {
            body = JSON.parse(reply.responseText);
        } catch (e) {
            body = {status: 'unavailable', detail: `HTTP ${reply.status}`};
        }
        if (reply.status !== 200) {
            ok = false;
        }
        services[SERVICES[i]] = body;
    });
    r.headersOut['Content-Type'] = 'application/json';
    r.headersOut['Cache-Control'] = 'no-store';
    r.return(ok ? 200 : 503, JSON.stringify({status: ok ? 'ok' : 'unavailable', services}));
}

function healthz(r) {
    return aggregate(r, 'healthz');
}

function readyz(r) {
    return aggregate(r, 'readyz');
}

export default {healthz, readyz};
