from lakehouse.cli.main import main

main()
