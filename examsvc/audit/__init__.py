"""The tamper-evident log of every examiner action (考试过程留痕): entries, tree, checkpoints, export."""
