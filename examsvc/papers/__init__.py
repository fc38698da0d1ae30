"""Per-candidate papers (试卷): deterministic assembly from a committed seed, manifests, sealing."""
