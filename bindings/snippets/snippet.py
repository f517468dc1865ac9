from cdk8s import App, Chart
from cdk8s_postgres_walg import ArchivingPostgres, PostgresVersion, S3Credentials, WalStorage

app = App()
chart = Chart(app, "shop", namespace="shop")

# WalStorage.azure(PostgresVersion.V9_6_V2, ...) is a type error (mypy, pyright): 9.6-v2 has no Azure.
archive = WalStorage.minio(
    PostgresVersion.V11_2_V1,
    bucket="walg",
    prefix="shop/orders",
    endpoint="https://minio.storage.svc:9000",
    credentials=S3Credentials.from_secret("minio-walg"),
)
ArchivingPostgres(chart, "orders", name="orders", storage=archive, storage_size="20Gi")

app.synth()
