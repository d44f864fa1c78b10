// Package corpus writes realistic RPM files without rpmbuild, for
// benchmarks, tests and the demo.
package corpus
