// Must NOT compile: PostgresVersion 9.6-v2's WAL-G has no Azure support, so V9_6_V2 is typed
// PostgresVersion and WalStorage.azure() takes an IAzureSwiftPostgresVersion.
// `npx projen bindings` checks that javac rejects it with "incompatible types".
import io.github.cdk8s_postgres_walg.AzureCredentials;
import io.github.cdk8s_postgres_walg.AzureStorageOptions;
import io.github.cdk8s_postgres_walg.PostgresVersion;
import io.github.cdk8s_postgres_walg.WalStorage;

public final class UnsupportedPair {
    public static void main(final String[] args) {
        WalStorage.azure(PostgresVersion.V9_6_V2, AzureStorageOptions.builder()
                .container("walg")
                .credentials(AzureCredentials.fromSecret("azure-walg"))
                .build());
    }
}
