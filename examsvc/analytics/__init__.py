"""Statistics, item analysis and integrity signals (统计分析、试题分析、考试异常线索): docs/analytics.md."""
