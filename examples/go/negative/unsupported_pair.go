//go:build negative

// Must NOT compile: PostgresVersion 9.6-v2's WAL-G has no Azure support, so PostgresVersion_V9_6_V2()
// returns a PostgresVersion, and WalStorage_Azure takes an IAzureSwiftPostgresVersion (which has the
// AzureSwiftCapable method a PostgresVersion lacks). `npx projen bindings` checks that
// `go build -tags negative ./negative` fails with a type error.
package negative

import (
	"github.com/aws/jsii-runtime-go"
	walg "github.com/cdk8s-postgres-walg/cdk8s-postgres-walg-go/cdk8spostgreswalg"
)

func UnsupportedPair() walg.WalStorage {
	return walg.WalStorage_Azure(walg.PostgresVersion_V9_6_V2(), &walg.AzureStorageOptions{
		Container:   jsii.String("walg"),
		Credentials: walg.AzureCredentials_FromSecret(jsii.String("azure-walg")),
	})
}
