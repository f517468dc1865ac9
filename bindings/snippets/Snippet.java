import io.github.cdk8s_postgres_walg.ArchivingPostgres;
import io.github.cdk8s_postgres_walg.MinioStorageOptions;
import io.github.cdk8s_postgres_walg.PostgresVersion;
import io.github.cdk8s_postgres_walg.S3Credentials;
import io.github.cdk8s_postgres_walg.WalStorage;
import org.cdk8s.App;
import org.cdk8s.Chart;
import org.cdk8s.ChartProps;

public class Snippet {
    public static void main(String[] args) {
        App app = new App();
        Chart chart = new Chart(app, "shop", ChartProps.builder().namespace("shop").build());

        // WalStorage.azure(PostgresVersion.V9_6_V2, ...) does not compile: 9.6-v2 has no Azure.
        WalStorage archive = WalStorage.minio(PostgresVersion.V11_2_V1, MinioStorageOptions.builder()
                .bucket("walg")
                .prefix("shop/orders")
                .endpoint("https://minio.storage.svc:9000")
                .credentials(S3Credentials.fromSecret("minio-walg"))
                .build());
        ArchivingPostgres.Builder.create(chart, "orders").name("orders").storage(archive).storageSize("20Gi").build();

        app.synth();
    }
}
