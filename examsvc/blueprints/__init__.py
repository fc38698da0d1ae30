"""Composition rules (组卷规则): versioned documents that only a chief examiner's approval activates."""
