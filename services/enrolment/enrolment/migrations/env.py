from coalizione_common.migrations import run_env

from enrolment.adapters.orm import metadata

run_env(metadata)
