from live_chat.cli import main

raise SystemExit(main())
