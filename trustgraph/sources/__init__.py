"""Sources: everything that reads IAM data from outside (files, AWS) into a Snapshot."""
