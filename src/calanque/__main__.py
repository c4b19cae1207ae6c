from calanque.cli import main

main()
