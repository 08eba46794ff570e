"""The command line: `newsmon` and its subcommands, and the offline demo. Calls flows/ and engine/."""
