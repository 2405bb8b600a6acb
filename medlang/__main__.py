from medlang.cli.main import main

main()
