package policy

// Default returns the SME Server policy, built from the project's
// development policy (categories, channels, the smedev -> smeaddons and
// smeaddons -> smecore processes, security monitoring). Every call returns
// a new value that the caller may change.
//
// Where the development policy is silent (how many reviews, how many days
// in updates-testing, how long things are kept) the values are smeforge's
// choices; docs/policy.md says which is which.
func Default() *Policy {
	legacy := map[string]string{}
	for _, r := range BuiltinLegacyLicences() {
		legacy[r.Name] = r.SPDX
	}
	allGates := []string{GateRPMAndSRPM, GateTested, GateLicence, GateMaintainer, GateFork, GateLayering, GateClosure}
	coreReviews := []Review{{Role: "core-developer", Count: 2}, {Role: "dm", Count: 1}}
	return &Policy{
		Name:                 "SME Server",
		NewBuildCategory:     "dev",
		TestedThreshold:      1,
		MaintainerWindowDays: 365,
		AdvisoryIDFormat:     "SME-SA-%Y:%04d",
		Actions: []string{
			"upload", "request-promotion", "review-promotion", "approve-fork",
			"file-test-report", "sign", "publish", "manage-release",
			"request-project", "approve-project",
			"triage-vulnerability", "write-advisory", "write-advisory-guidance", "publish-advisory",
			"register-mirror", "manage-accounts", "manage-policy",
			"manage-keys", "manage-upstreams", "rebuild", "view-audit",
		},
		Categories: []Category{
			{Name: "base", Level: 1, Protected: true, Monitoring: MonitorFull,
				Description: "The base distribution (CentOS, Rocky Linux): kernel, drivers, and the third-party packages it releases and maintains (Apache, Samba, MySQL ...). Chosen by the core developers, never rebuilt."},
			{Name: "infra", Level: 2, Protected: true, Monitoring: MonitorFull, Signed: true,
				Description: "Core infrastructure (e-smith-lib, the firewall base ruleset, the installer) and third-party packages the base distribution does not release. Chosen by the core developers, rebuilt and signed by the project."},
			{Name: "core", Level: 3, Protected: true, Monitoring: MonitorFull, Signed: true,
				Description: "smecore: packages written for SME Server (i-bays, virtual domains, e-mail). Part of the core distribution and supported for patches and upgrades; rebuilt and signed by the project."},
			{Name: "addons", Level: 4, Monitoring: MonitorBestEffort,
				Description: "smeaddons: tested packages that extend SME Server, not part of the core distribution. The project works with their maintainers on patches and upgrades as time allows."},
			{Name: "test", Level: 5, Monitoring: MonitorNone,
				Description: "smetest: packages undergoing testing towards smeaddons, for testing only."},
			{Name: "dev", Level: 6, Monitoring: MonitorNone,
				Description: "smedev: packages not tested or examined by the project. They may work well, but be incompatible with each other or with future upgrades."},
		},
		Channels: []ChannelRule{
			{Name: "os", ClientName: "smeos", Accepts: []string{"base", "infra", "core"},
				Enabled: true, Visible: true, FrozenAtFinal: true, RequireSigned: true,
				Description: "The packages of the install image: changes freely until the release is final, then frozen for ever."},
			{Name: "updates", ClientName: "smeupdates", Accepts: []string{"infra", "core"},
				Enabled: true, Visible: true, RequireSigned: true,
				Description: "Updates of the core distribution, tested and pushed by the maintenance team."},
			{Name: "updates-testing", ClientName: "smeupdates-testing", Accepts: []string{"infra", "core"},
				Visible: true, Retention: 2,
				Description: "Updates of the core distribution being tested by the maintenance team."},
			{Name: "addons", ClientName: "smeaddons", Accepts: []string{"addons"},
				Enabled: true, Visible: true, Retention: 3,
				Description: "Well-behaved, tested add-ons; packages may be added or removed at any time."},
			{Name: "test", ClientName: "smetest", Accepts: []string{"test"},
				Visible: true, Retention: 2,
				Description: "Add-ons undergoing testing; a package is expected to stay here only for a while."},
			{Name: "dev", ClientName: "smedev", Accepts: []string{"dev"},
				Visible: true, Retention: 2,
				Description: "Other add-ons, not tested or examined; use them knowing they may conflict with each other or with upgrades."},
		},
		Promotions: []Promotion{
			{From: "dev", To: "test",
				Gates: []string{GateRPMAndSRPM, GateLicence, GateMaintainer, GateFork, GateLayering, GateClosure}},
			{From: "test", To: "addons", Gates: allGates,
				Reviews: []Review{{Role: "core-developer", Count: 1}}},
			{From: "addons", To: "core", Gates: allGates, AllowForkAgreement: true, Reviews: coreReviews},
			{From: "test", To: "core", Gates: allGates, AllowForkAgreement: true, Reviews: coreReviews},
			{From: "dev", To: "updates-testing",
				Gates:              []string{GateRPMAndSRPM, GateLicence, GateMaintainer, GateFork, GateLayering, GateClosure},
				AllowForkAgreement: true, Reviews: []Review{{Role: "maintenance", Count: 1}}},
			{From: "updates-testing", To: "updates", Gates: allGates, AllowForkAgreement: true,
				Reviews: []Review{{Role: "maintenance", Count: 1}}, MinDaysInTesting: 7},
		},
		ForkReviews: []Review{{Role: "dm", Count: 1}, {Role: "core-developer", Count: 2}},
		Roles: []Role{
			{Name: "contributor", Description: "Anyone with an account: requests a project space, uploads builds to dev, files test reports."},
			{Name: "maintainer", Description: "Maintains a project's packages: uploads builds, asks for their promotion, answers test reports."},
			{Name: "tester", Description: "Installs builds from the testing channels and reports whether they work."},
			{Name: "core-developer", Description: "Chooses base and infra packages, reviews promotions, agrees forks, rebuilds and signs core packages."},
			{Name: "dm", Description: "The Development Manager or designate: release decisions, security calls, fork agreements."},
			{Name: "maintenance", Description: "The maintenance team: makes the releases of maintained branches, moves updates-testing to updates."},
			{Name: "security", Description: "The security team: triages vulnerability reports, writes and revises the technical text of advisories."},
			{Name: "communications", Description: "The communications team: writes the \"why am I affected, what should I do\" text of advisories."},
			{Name: "mirror-operator", Description: "Runs a mirror of the channels."},
			{Name: "admin", Description: "Runs the forge: accounts, teams and this policy."},
		},
		Grants: map[string][]string{
			"contributor":     {"upload", "request-project", "file-test-report"},
			"maintainer":      {"upload", "request-promotion", "file-test-report", "request-project"},
			"tester":          {"file-test-report"},
			"core-developer":  {"upload", "request-promotion", "review-promotion", "approve-fork", "file-test-report", "sign", "publish", "approve-project", "triage-vulnerability", "manage-upstreams", "rebuild", "view-audit"},
			"dm":              {"review-promotion", "approve-fork", "publish", "manage-release", "approve-project", "triage-vulnerability", "write-advisory", "publish-advisory", "manage-keys", "manage-upstreams", "view-audit"},
			"maintenance":     {"upload", "request-promotion", "review-promotion", "file-test-report", "sign", "publish", "rebuild"},
			"security":        {"triage-vulnerability", "write-advisory"},
			"communications":  {"write-advisory-guidance"},
			"mirror-operator": {"register-mirror"},
			"admin":           {"manage-accounts", "manage-policy", "approve-project", "view-audit"},
		},
		Licences: Licences{
			Allowed: []string{
				// GNU family
				"GPL-1.0-only", "GPL-1.0-or-later", "GPL-2.0-only", "GPL-2.0-or-later", "GPL-3.0-only", "GPL-3.0-or-later",
				"LGPL-2.0-only", "LGPL-2.0-or-later", "LGPL-2.1-only", "LGPL-2.1-or-later", "LGPL-3.0-only", "LGPL-3.0-or-later",
				"AGPL-3.0-only", "AGPL-3.0-or-later",
				"GFDL-1.1-only", "GFDL-1.1-or-later", "GFDL-1.2-only", "GFDL-1.2-or-later", "GFDL-1.3-only", "GFDL-1.3-or-later",
				// permissive
				"MIT", "BSD-2-Clause", "BSD-3-Clause", "0BSD", "ISC", "Zlib", "BSL-1.0",
				"Apache-1.1", "Apache-2.0", "PostgreSQL", "NCSA", "W3C", "IJG", "libtiff", "Unicode-DFS-2016",
				"OLDAP-2.8", "Unlicense", "CC0-1.0", "WTFPL",
				// Perl, languages, libraries
				"Artistic-1.0-Perl", "Artistic-2.0", "ClArtistic",
				"PHP-3.0", "PHP-3.01", "Python-2.0", "Ruby", "TCL", "Vim",
				"OpenSSL", "Sleepycat", "Sendmail",
				// weak copyleft
				"MPL-1.1", "MPL-2.0", "EPL-1.0", "EPL-2.0", "CDDL-1.0", "ZPL-2.1", "LPPL-1.3c",
				// fonts and content
				"OFL-1.1", "Bitstream-Vera", "CC-BY-3.0", "CC-BY-4.0", "CC-BY-SA-3.0", "CC-BY-SA-4.0",
				// no licence as such
				"LicenseRef-Fedora-Public-Domain", "LicenseRef-Fedora-UltraPermissive",
			},
			Legacy: legacy,
		},
		Retention: Retention{Publications: 0, KeepSignedSources: true},
	}
}
