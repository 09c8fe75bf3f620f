from coalizione_common.migrations import run_env

from scheduling.adapters.orm import metadata

run_env(metadata)
