import os
import sys

try:  # Ctrl-C while the toolchain is still being imported: the same one line and 130
    from medlang.cli.main import main
except KeyboardInterrupt:
    sys.stderr.write("Error: interrupted\n")
    sys.stderr.flush()
    os._exit(130)

main()
