"""Entry point of one parallel ingest part: `python -m inference.media.part_worker OUT_DIR PART_NAME`.

Errors meant for the user are written to parts/PART_NAME.error for the parent to raise.
"""

import sys
from pathlib import Path

from inference.media.decode import MediaError
from inference.media.framestore import write_atomic
from inference.media.pipeline import part_file, process_part


def main(out: str, name: str) -> int:
    try:
        process_part(Path(out), name)
    except MediaError as exc:
        write_atomic(part_file(Path(out), name, "error"), str(exc).encode())
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
