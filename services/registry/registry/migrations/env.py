from coalizione_common.migrations import run_env

from registry.adapters.orm import metadata

run_env(metadata)
