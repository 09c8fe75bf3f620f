#!/bin/bash
# Runs once, when the PostgreSQL volume is initialised: one role and one
# database per service (coalizione_<service>), owned by that role, which
# has no right on the others' databases. Passwords come from the
# environment of the postgres container (<SERVICE>_DB_PASSWORD).
# COALIZIONE_ROLE_PREFIX and COALIZIONE_DB_PREFIX (defaults "" and
# "coalizione_") let a test run it on a shared server without clashing.
set -euo pipefail

role_prefix="${COALIZIONE_ROLE_PREFIX:-}"
db_prefix="${COALIZIONE_DB_PREFIX:-coalizione_}"

for service in registry enrolment scheduling notify console; do
  var="${service^^}_DB_PASSWORD"
  password="${!var:?$var is not set}"
  role="$role_prefix$service"
  db="$db_prefix$service"
  psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname postgres \
       --set=role="$role" --set=password="$password" --set=db="$db" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'role', :'password')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'role')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'db') \gexec
SELECT format('GRANT ALL ON DATABASE %I TO %I', :'db', :'role') \gexec
SQL
  psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname "$db" \
       --set=role="$role" <<'SQL'
SELECT format('ALTER SCHEMA public OWNER TO %I', :'role') \gexec
SQL
done
