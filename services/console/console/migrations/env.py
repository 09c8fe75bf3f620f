from coalizione_common.migrations import run_env

from console.adapters.orm import metadata

run_env(metadata)
