"""Live collection from AWS with boto3 (`trustgraph collect`).

Modules, from the bottom up:

- `session`: boto3 sessions (one per thread), retry configuration, sts:AssumeRole into member accounts.
- `failures`: turns botocore exceptions into a one-line reason and a stable reason code.
- `iam_export`: get-account-authorization-details, all pages merged into the AWS CLI's output shape.
- `organization_export`: accounts, OU tree, SCPs and RCPs into the organization.json schema.
- `snapshot_writer`: the snapshot directory: staging, atomic file writes, the final swap, manifest.
- `collector`: plans which accounts to read and runs them on a thread pool.

Everything here is read-only towards AWS: Get/List/Describe calls and sts:AssumeRole only.
"""
