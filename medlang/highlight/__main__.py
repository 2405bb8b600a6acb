import sys

from medlang.highlight.reference import main

sys.exit(main())
