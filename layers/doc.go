// Package layers builds AWS Lambda layers: a models layer whose zip holds a
// model repository under /opt/models, checked against Lambda's 250 MB
// unzipped limit. See the Makefile's layer target.
package layers
