package corpus

import (
	"strconv"

	"github.com/smeserver/smeforge/internal/rpm"
)

// The corpus orders versions and matches dependencies with the project's
// own rpm rules (internal/rpm), like everything else in smeforge.

func rpmvercmp(a, b string) int { return rpm.Vercmp(a, b) }

// evr is a parsed [epoch:]version[-release].
type evr struct {
	epoch            int
	version, release string
}

func parseEVR(s string) evr {
	e := rpm.ParseEVR(s)
	n, _ := strconv.Atoi(e.Epoch)
	return evr{epoch: n, version: e.Version, release: e.Release}
}

// satisfies reports whether a provide "op pevr" (or an unversioned one)
// matches the requirement "op revr", as rpm decides.
func satisfies(provOp, provEVR, reqOp, reqEVR string) bool {
	p, err1 := rpm.ParseDependency(joinDep("x", provOp, provEVR))
	r, err2 := rpm.ParseDependency(joinDep("x", reqOp, reqEVR))
	if err1 != nil || err2 != nil {
		return false
	}
	return rpm.RangesOverlap(p, r)
}

func joinDep(name, op, evr string) string {
	if op == "" {
		return name
	}
	return name + " " + op + " " + evr
}
