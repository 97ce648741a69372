from gaffertape.cli import main

main()
