// The example app in Go. bindings/run.sh copies this module to bindings-results/work/go, points
// cdk8s-postgres-walg at the module jsii-pacmak generated (go mod edit -replace), runs go mod tidy
// there and builds it. A user just runs: go get github.com/cdk8s-postgres-walg/cdk8s-postgres-walg-go/cdk8spostgreswalg
module example.com/orders

go 1.25.0

require (
	github.com/aws/jsii-runtime-go v1.140.0
	github.com/cdk8s-postgres-walg/cdk8s-postgres-walg-go/cdk8spostgreswalg v0.0.0
	github.com/cdk8s-team/cdk8s-core-go/cdk8s/v2 v2.70.106
	github.com/cdk8s-team/cdk8s-plus-go/cdk8splus27/v2 v2.9.5 // indirect
)
