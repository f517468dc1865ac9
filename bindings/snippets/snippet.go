package main

import (
	"github.com/aws/jsii-runtime-go"
	walg "github.com/cdk8s-postgres-walg/cdk8s-postgres-walg-go/cdk8spostgreswalg"
	"github.com/cdk8s-team/cdk8s-core-go/cdk8s/v2"
)

func main() {
	app := cdk8s.NewApp(nil)
	chart := cdk8s.NewChart(app, jsii.String("shop"), &cdk8s.ChartProps{Namespace: jsii.String("shop")})

	// walg.WalStorage_Azure(walg.PostgresVersion_V9_6_V2(), ...) does not compile: 9.6-v2 has no Azure.
	archive := walg.WalStorage_Minio(walg.PostgresVersion_V11_2_V1(), &walg.MinioStorageOptions{
		Bucket:      jsii.String("walg"),
		Prefix:      jsii.String("shop/orders"),
		Endpoint:    jsii.String("https://minio.storage.svc:9000"),
		Credentials: walg.S3Credentials_FromSecret(jsii.String("minio-walg")),
	})
	walg.NewArchivingPostgres(chart, jsii.String("orders"), &walg.ArchivingPostgresProps{
		Name:        jsii.String("orders"),
		Storage:     archive,
		StorageSize: jsii.String("20Gi"),
	})

	app.Synth()
}
