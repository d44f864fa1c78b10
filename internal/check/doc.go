// Package check answers the distribution policy's questions about a set of
// packages: dependency closure, layering between categories and forks of
// protected packages. It is pure: packages in, findings out.
//
// The closure follows what `dnf repoclosure` reports for a repository made
// by createrepo_c, which is what every dnf and yum client sees: requirements
// are taken as createrepo_c writes them into primary.xml (see
// metadataRequires), and each is looked up the way libsolv's whatprovides
// does (see Index.Providers), rich dependencies included. ParseRich reads
// rich dependencies with libsolv's grammar; ClosureOptions.Strict and
// Layering read them as rpm does.
package check
