from ccsim.cli import main

main()
