from prodsearch.cli import main

main()
