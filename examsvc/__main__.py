from examsvc.cli import main

raise SystemExit(main())
