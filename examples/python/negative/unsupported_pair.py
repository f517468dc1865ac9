"""Must be rejected: PostgresVersion 9.6-v2's WAL-G has no Azure support, so PostgresVersion.V9_6_V2 is
typed PostgresVersion and WalStorage.azure() takes an IAzureSwiftPostgresVersion (which has the
azure_swift_capable property a PostgresVersion lacks).
`npx projen bindings` checks that mypy and pyright flag the call (arg-type) and that running this file
raises the library's "Unsupported pair in WalStorage.azure(): ..." error."""
from cdk8s_postgres_walg import AzureCredentials, PostgresVersion, WalStorage

WalStorage.azure(
    PostgresVersion.V9_6_V2,
    container="walg",
    credentials=AzureCredentials.from_secret("azure-walg"),
)
