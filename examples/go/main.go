// The example app of examples/typescript/main.ts, in Go: an archiving PostgreSQL and a
// point-in-time copy restored from its archive. `npx projen bindings` runs it with the generated
// Go bindings and checks that its YAML is byte-identical to the TypeScript example's.
package main

import (
	"os"

	"github.com/aws/jsii-runtime-go"
	walg "github.com/cdk8s-postgres-walg/cdk8s-postgres-walg-go/cdk8spostgreswalg"
	"github.com/cdk8s-team/cdk8s-core-go/cdk8s/v2"
)

func main() {
	outdir, ok := os.LookupEnv("CDK8S_OUTDIR")
	if !ok {
		outdir = "dist/example"
	}
	app := cdk8s.NewApp(&cdk8s.AppProps{Outdir: jsii.String(outdir)})
	chart := cdk8s.NewChart(app, jsii.String("orders"), &cdk8s.ChartProps{
		Namespace:                 jsii.String("shop"),
		DisableResourceNameHashes: jsii.Bool(true),
	})

	// The archive: a MinIO bucket; the credentials stay in a Secret you create
	// (kubectl create secret generic minio-walg --from-literal=AWS_ACCESS_KEY_ID=… --from-literal=AWS_SECRET_ACCESS_KEY=…).
	archive := walg.WalStorage_Minio(walg.PostgresVersion_V11_2_V1(), &walg.MinioStorageOptions{
		Bucket:      jsii.String("walg"),
		Prefix:      jsii.String("shop/orders"),
		Endpoint:    jsii.String("https://minio.storage.svc:9000"),
		Credentials: walg.S3Credentials_FromSecret(jsii.String("minio-walg")),
	})

	walg.NewArchivingPostgres(chart, jsii.String("orders"), &walg.ArchivingPostgresProps{
		Name:              jsii.String("orders"),
		Storage:           archive,
		SuperuserPassword: walg.SuperuserPassword_FromSecret(jsii.String("orders-auth"), nil),
		StorageSize:       jsii.String("20Gi"),
	})

	// A copy of the database as it was at 10:00 UTC, archiving onward to its own prefix.
	walg.NewWalRestoredPostgres(chart, jsii.String("orders-copy"), &walg.WalRestoredPostgresProps{
		Name:           jsii.String("orders-copy"),
		Source:         archive,
		RecoveryTarget: &walg.RecoveryTarget{Time: jsii.String("2026-11-23T10:00:00Z")},
		Archive: walg.WalStorage_Minio(walg.PostgresVersion_V11_2_V1(), &walg.MinioStorageOptions{
			Bucket:      jsii.String("walg"),
			Prefix:      jsii.String("shop/orders-copy"),
			Endpoint:    jsii.String("https://minio.storage.svc:9000"),
			Credentials: walg.S3Credentials_FromSecret(jsii.String("minio-walg")),
		}),
		SuperuserPassword: walg.SuperuserPassword_FromSecret(jsii.String("orders-copy-auth"), nil),
	})

	app.Synth()
}
