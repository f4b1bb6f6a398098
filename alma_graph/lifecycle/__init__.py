"""The memory lifecycle: decay, consolidation, the forget policy, the audit trail, the schedule."""
