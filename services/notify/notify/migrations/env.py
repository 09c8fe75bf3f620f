from coalizione_common.migrations import run_env

from notify.adapters.orm import metadata

run_env(metadata)
