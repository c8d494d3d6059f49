from paycrypt.cli.main import main

main()
