from stoplist.cli import main

main()
