module example.com/gocpu-examples

go 1.19
