"""The example app of examples/typescript/main.ts, in Python: an archiving PostgreSQL and a
point-in-time copy restored from its archive. `npx projen bindings` runs it with the generated
Python bindings and checks that its YAML is byte-identical to the TypeScript example's."""
import os

from cdk8s import App, Chart
from cdk8s_postgres_walg import (
    ArchivingPostgres,
    PostgresVersion,
    RecoveryTarget,
    S3Credentials,
    SuperuserPassword,
    WalRestoredPostgres,
    WalStorage,
)

app = App(outdir=os.environ.get("CDK8S_OUTDIR", "dist/example"))
chart = Chart(app, "orders", namespace="shop", disable_resource_name_hashes=True)

# The archive: a MinIO bucket; the credentials stay in a Secret you create
# (kubectl create secret generic minio-walg --from-literal=AWS_ACCESS_KEY_ID=… --from-literal=AWS_SECRET_ACCESS_KEY=…).
archive = WalStorage.minio(
    PostgresVersion.V11_2_V1,
    bucket="walg",
    prefix="shop/orders",
    endpoint="https://minio.storage.svc:9000",
    credentials=S3Credentials.from_secret("minio-walg"),
)

ArchivingPostgres(
    chart,
    "orders",
    name="orders",
    storage=archive,
    superuser_password=SuperuserPassword.from_secret("orders-auth"),
    storage_size="20Gi",
)

# A copy of the database as it was at 10:00 UTC, archiving onward to its own prefix.
WalRestoredPostgres(
    chart,
    "orders-copy",
    name="orders-copy",
    source=archive,
    recovery_target=RecoveryTarget(time="2026-11-23T10:00:00Z"),
    archive=WalStorage.minio(
        PostgresVersion.V11_2_V1,
        bucket="walg",
        prefix="shop/orders-copy",
        endpoint="https://minio.storage.svc:9000",
        credentials=S3Credentials.from_secret("minio-walg"),
    ),
    superuser_password=SuperuserPassword.from_secret("orders-copy-auth"),
)

app.synth()
