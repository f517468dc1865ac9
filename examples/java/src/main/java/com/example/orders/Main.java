// The example app of examples/typescript/main.ts, in Java: an archiving PostgreSQL and a
// point-in-time copy restored from its archive. `npx projen bindings` runs it with the generated
// Java bindings and checks that its YAML is byte-identical to the TypeScript example's.
package com.example.orders;

import io.github.cdk8s_postgres_walg.ArchivingPostgres;
import io.github.cdk8s_postgres_walg.MinioStorageOptions;
import io.github.cdk8s_postgres_walg.PostgresVersion;
import io.github.cdk8s_postgres_walg.RecoveryTarget;
import io.github.cdk8s_postgres_walg.S3Credentials;
import io.github.cdk8s_postgres_walg.SuperuserPassword;
import io.github.cdk8s_postgres_walg.WalRestoredPostgres;
import io.github.cdk8s_postgres_walg.WalStorage;
import org.cdk8s.App;
import org.cdk8s.AppProps;
import org.cdk8s.Chart;
import org.cdk8s.ChartProps;

public final class Main {
    public static void main(final String[] args) {
        String outdir = System.getenv().getOrDefault("CDK8S_OUTDIR", "dist/example");
        App app = new App(AppProps.builder().outdir(outdir).build());
        Chart chart = new Chart(app, "orders", ChartProps.builder().namespace("shop").disableResourceNameHashes(true).build());

        // The archive: a MinIO bucket; the credentials stay in a Secret you create
        // (kubectl create secret generic minio-walg --from-literal=AWS_ACCESS_KEY_ID=… --from-literal=AWS_SECRET_ACCESS_KEY=…).
        WalStorage archive = WalStorage.minio(PostgresVersion.V11_2_V1, MinioStorageOptions.builder()
                .bucket("walg")
                .prefix("shop/orders")
                .endpoint("https://minio.storage.svc:9000")
                .credentials(S3Credentials.fromSecret("minio-walg"))
                .build());

        ArchivingPostgres.Builder.create(chart, "orders")
                .name("orders")
                .storage(archive)
                .superuserPassword(SuperuserPassword.fromSecret("orders-auth"))
                .storageSize("20Gi")
                .build();

        // A copy of the database as it was at 10:00 UTC, archiving onward to its own prefix.
        WalRestoredPostgres.Builder.create(chart, "orders-copy")
                .name("orders-copy")
                .source(archive)
                .recoveryTarget(RecoveryTarget.builder().time("2026-11-23T10:00:00Z").build())
                .archive(WalStorage.minio(PostgresVersion.V11_2_V1, MinioStorageOptions.builder()
                        .bucket("walg")
                        .prefix("shop/orders-copy")
                        .endpoint("https://minio.storage.svc:9000")
                        .credentials(S3Credentials.fromSecret("minio-walg"))
                        .build()))
                .superuserPassword(SuperuserPassword.fromSecret("orders-copy-auth"))
                .build();

        app.synth();
    }
}
