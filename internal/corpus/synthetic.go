package corpus

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// syntheticCore is the hand-written base of SyntheticModel, in the style of
// a CentOS 7 system: "name epoch:version-release arch | provides | requires",
// lists separated by ", ". "so:libfoo.so.1" stands for "libfoo.so.1()(64bit)"
// and %{evr} for the package's own [epoch:]version-release.
const syntheticCore = `
setup 2.8.71-10.el7 noarch | config(setup) = %{evr} |
filesystem 3.2-25.el7 x86_64 | | setup
basesystem 10.0-7.el7.centos noarch | | filesystem >= 3, setup
tzdata 2019a-1.el7 noarch | |
ncurses-base 5.9-14.20130511.el7_4 noarch | |
glibc-common 2.17-260.el7_6.4 x86_64 | config(glibc-common) = %{evr} | glibc = %{evr}, tzdata >= 2003a, so:libc.so.6
glibc 2.17-260.el7_6.4 x86_64 | so:libc.so.6, libc.so.6(GLIBC_2.2.5)(64bit), libc.so.6(GLIBC_2.3)(64bit), libc.so.6(GLIBC_2.3.4)(64bit), libc.so.6(GLIBC_2.4)(64bit), libc.so.6(GLIBC_2.14)(64bit), libc.so.6(GLIBC_2.17)(64bit), so:libpthread.so.0, libpthread.so.0(GLIBC_2.2.5)(64bit), so:libdl.so.2, libdl.so.2(GLIBC_2.2.5)(64bit), so:libm.so.6, so:librt.so.1, so:libcrypt.so.1, so:libresolv.so.2, so:libnsl.so.1, so:ld-linux-x86-64.so.2, rtld(GNU_HASH), config(glibc) = %{evr} | glibc-common = %{evr}, basesystem, /usr/sbin/glibc_post_upgrade.x86_64
ncurses-libs 5.9-14.20130511.el7_4 x86_64 | so:libtinfo.so.5, so:libncurses.so.5, so:libncursesw.so.5, so:libtinfow.so.5, so:libform.so.5, so:libpanel.so.5, so:libmenu.so.5 | ncurses-base = %{evr}, so:libc.so.6, so:libdl.so.2, rtld(GNU_HASH), /sbin/ldconfig
bash 4.2.46-31.el7 x86_64 | config(bash) = %{evr} | so:libtinfo.so.5, so:libc.so.6, so:libdl.so.2, filesystem >= 3, rtld(GNU_HASH), /bin/sh
zlib 1.2.7-18.el7 x86_64 | so:libz.so.1 | so:libc.so.6, rtld(GNU_HASH), /sbin/ldconfig
bzip2-libs 1.0.6-13.el7 x86_64 | so:libbz2.so.1 | so:libc.so.6, /sbin/ldconfig
xz-libs 5.2.2-1.el7 x86_64 | so:liblzma.so.5, liblzma.so.5(XZ_5.0)(64bit) | so:libc.so.6, so:libpthread.so.0, /sbin/ldconfig
xz 5.2.2-1.el7 x86_64 | | xz-libs = %{evr}, so:liblzma.so.5, liblzma.so.5(XZ_5.0)(64bit), /bin/sh
pcre 8.32-17.el7 x86_64 | so:libpcre.so.1, so:libpcrecpp.so.0 | so:libc.so.6, so:libpthread.so.0, /sbin/ldconfig
libselinux 2.5-14.1.el7 x86_64 | so:libselinux.so.1, libselinux.so.1(LIBSELINUX_1.0)(64bit) | so:libpcre.so.1, so:libdl.so.2, so:libc.so.6, libsepol >= 2.5-6, /sbin/ldconfig
libsepol 2.5-10.el7 x86_64 | so:libsepol.so.1 | so:libc.so.6, /sbin/ldconfig
libattr 2.4.46-13.el7 x86_64 | so:libattr.so.1 | so:libc.so.6, /sbin/ldconfig
libacl 2.2.51-14.el7 x86_64 | so:libacl.so.1 | so:libattr.so.1, so:libc.so.6, /sbin/ldconfig
libcap 2.22-9.el7 x86_64 | so:libcap.so.2 | so:libattr.so.1, so:libc.so.6, /sbin/ldconfig
gmp 1:6.0.0-15.el7 x86_64 | so:libgmp.so.10, so:libgmpxx.so.4 | so:libc.so.6, /sbin/ldconfig, /sbin/install-info
info 5.1-5.el7 x86_64 | | bash, so:libc.so.6, so:libz.so.1, so:libtinfo.so.5, /bin/sh
coreutils 8.22-23.el7 x86_64 | | so:libacl.so.1, so:libattr.so.1, so:libcap.so.2, so:libgmp.so.10, so:libselinux.so.1, so:libcrypto.so.10, ncurses, grep, /sbin/install-info, /bin/sh
ncurses 5.9-14.20130511.el7_4 x86_64 | | ncurses-libs = %{evr}, so:libtinfo.so.5, so:libc.so.6
grep 2.20-3.el7 x86_64 | | so:libpcre.so.1, so:libc.so.6, /sbin/install-info, /bin/sh
sed 4.2.2-5.el7 x86_64 | | so:libacl.so.1, so:libselinux.so.1, so:libc.so.6, /sbin/install-info, /bin/sh
chkconfig 1.7.4-1.el7 x86_64 | | so:libpopt.so.0, so:libselinux.so.1, so:libsepol.so.1, so:libc.so.6
popt 1.13-16.el7 x86_64 | so:libpopt.so.0 | so:libc.so.6, /sbin/ldconfig
ca-certificates 2018.2.22-70.0.el7_5 noarch | config(ca-certificates) = %{evr} | bash, coreutils, grep, sed, p11-kit >= 0.23.5, p11-kit-trust >= 0.23.5
p11-kit 0.23.5-3.el7 x86_64 | so:libp11-kit.so.0 | so:libffi.so.6, so:libdl.so.2, so:libpthread.so.0, so:libc.so.6
p11-kit-trust 0.23.5-3.el7 x86_64 | | p11-kit = %{evr}, so:libtasn1.so.6, /usr/sbin/alternatives, /bin/sh
libffi 3.0.13-18.el7 x86_64 | so:libffi.so.6 | so:libc.so.6, /sbin/ldconfig, /sbin/install-info
libtasn1 4.10-1.el7 x86_64 | so:libtasn1.so.6, libtasn1.so.6(LIBTASN1_0_3)(64bit) | so:libc.so.6, /sbin/ldconfig
openssl-libs 1:1.0.2k-16.el7_6.1 x86_64 | so:libssl.so.10, so:libcrypto.so.10, libcrypto.so.10(OPENSSL_1.0.2)(64bit), libssl.so.10(libssl.so.10)(64bit), config(openssl-libs) = %{evr} | so:libz.so.1, so:libdl.so.2, so:libc.so.6, ca-certificates >= 2008-5, /sbin/ldconfig
openssl 1:1.0.2k-16.el7_6.1 x86_64 | | openssl-libs(x86-64) = %{evr}, so:libssl.so.10, so:libcrypto.so.10, libcrypto.so.10(OPENSSL_1.0.2)(64bit), so:libz.so.1, so:libc.so.6, make, /usr/bin/perl
make 1:3.82-23.el7 x86_64 | | so:libdl.so.2, so:libc.so.6, /sbin/install-info, /bin/sh
keyutils-libs 1.5.8-3.el7 x86_64 | so:libkeyutils.so.1 | so:libc.so.6, /sbin/ldconfig
libcom_err 1.42.9-13.el7 x86_64 | so:libcom_err.so.2 | so:libpthread.so.0, so:libc.so.6, /sbin/ldconfig
krb5-libs 1.15.1-37.el7_6 x86_64 | so:libkrb5.so.3, so:libgssapi_krb5.so.2, so:libk5crypto.so.3, so:libkrb5support.so.0, config(krb5-libs) = %{evr} | so:libkeyutils.so.1, so:libcom_err.so.2, so:libcrypto.so.10, so:libselinux.so.1, so:libresolv.so.2, keyutils-libs >= 1.5.8, /bin/sh, coreutils, gawk, grep, sed
gawk 4.0.2-4.el7_3.1 x86_64 | | so:libgmp.so.10, so:libmpfr.so.4, so:libreadline.so.6, so:libm.so.6, so:libc.so.6, /sbin/install-info, /bin/sh
mpfr 3.1.1-4.el7 x86_64 | so:libmpfr.so.4 | so:libgmp.so.10, so:libc.so.6, /sbin/ldconfig, /sbin/install-info
readline 6.2-10.el7 x86_64 | so:libreadline.so.6, so:libhistory.so.6 | so:libtinfo.so.5, so:libc.so.6, /sbin/ldconfig, /sbin/install-info
libcurl 7.29.0-51.el7 x86_64 | so:libcurl.so.4 | so:libssl.so.10, so:libcrypto.so.10, so:libgssapi_krb5.so.2, so:libz.so.1, so:libidn.so.11, so:libssh2.so.1, libssh2 >= 1.4.3, openssl-libs >= 1:1.0.2, /sbin/ldconfig
curl 7.29.0-51.el7 x86_64 | webclient | libcurl = %{evr}, so:libcurl.so.4, so:libz.so.1, so:libc.so.6
libidn 1.28-4.el7 x86_64 | so:libidn.so.11, libidn.so.11(LIBIDN_1.0)(64bit) | so:libc.so.6, /sbin/ldconfig, /sbin/install-info
libssh2 1.4.3-12.el7 x86_64 | so:libssh2.so.1 | so:libssl.so.10, so:libcrypto.so.10, so:libz.so.1, so:libc.so.6, /sbin/ldconfig
expat 2.1.0-10.el7_3 x86_64 | so:libexpat.so.1 | so:libc.so.6, /sbin/ldconfig
libxml2 2.9.1-6.el7_2.3 x86_64 | so:libxml2.so.2, libxml2.so.2(LIBXML2_2.4.30)(64bit) | so:liblzma.so.5, so:libz.so.1, so:libm.so.6, so:libdl.so.2, so:libc.so.6, /sbin/ldconfig
sqlite 3.7.17-8.el7 x86_64 | so:libsqlite3.so.0 | so:libreadline.so.6, so:libpthread.so.0, so:libdl.so.2, so:libc.so.6, /sbin/ldconfig
pam 1.1.8-22.el7 x86_64 | so:libpam.so.0, so:libpam_misc.so.0, config(pam) = %{evr} | so:libaudit.so.1, so:libselinux.so.1, so:libcrack.so.2, so:libdl.so.2, so:libc.so.6, cracklib-dicts >= 2.8, /bin/sh, /sbin/ldconfig
audit-libs 2.8.4-4.el7 x86_64 | so:libaudit.so.1, so:libauparse.so.0, config(audit-libs) = %{evr} | so:libcap-ng.so.0, so:libc.so.6, /sbin/ldconfig
libcap-ng 0.7.5-4.el7 x86_64 | so:libcap-ng.so.0 | so:libc.so.6, /sbin/ldconfig
cracklib 2.9.0-11.el7 x86_64 | so:libcrack.so.2 | so:libz.so.1, so:libc.so.6, gzip, /sbin/ldconfig
cracklib-dicts 2.9.0-11.el7 x86_64 | | cracklib = %{evr}
gzip 1.5-10.el7 x86_64 | | so:libc.so.6, /sbin/install-info, /bin/sh
shadow-utils 2:4.1.5.1-25.el7 x86_64 | config(shadow-utils) = %{evr} | so:libacl.so.1, so:libattr.so.1, so:libaudit.so.1, so:libselinux.so.1, so:libcrypt.so.1, so:libc.so.6, setup
systemd-libs 219-62.el7_6.5 x86_64 | so:libsystemd.so.0, libsystemd.so.0(LIBSYSTEMD_209)(64bit), so:libudev.so.1 | so:libcap.so.2, so:liblzma.so.5, so:libgcrypt.so.11, so:libdl.so.2, so:librt.so.1, so:libc.so.6, /sbin/ldconfig
systemd 219-62.el7_6.5 x86_64 | config(systemd) = %{evr}, systemd-units = %{evr}, /bin/systemctl | systemd-libs = %{evr}, so:libsystemd.so.0, libsystemd.so.0(LIBSYSTEMD_209)(64bit), so:libcap.so.2, so:libpam.so.0, so:libselinux.so.1, so:libaudit.so.1, so:libcryptsetup.so.12, so:libkmod.so.2, kmod >= 18-4, dbus, pam >= 1.1.2, shadow-utils, /bin/sh, coreutils, grep, sed, gawk
libgcrypt 1.5.3-14.el7 x86_64 | so:libgcrypt.so.11 | so:libgpg-error.so.0, so:libc.so.6, /sbin/ldconfig, /sbin/install-info
libgpg-error 1.12-3.el7 x86_64 | so:libgpg-error.so.0 | so:libc.so.6, /sbin/ldconfig
cryptsetup-libs 2.0.3-3.el7 x86_64 | so:libcryptsetup.so.12 | so:libdevmapper.so.1.02, so:libuuid.so.1, so:libjson-c.so.2, so:libcrypto.so.10, so:libc.so.6, /sbin/ldconfig
device-mapper-libs 7:1.02.149-10.el7_6.3 x86_64 | so:libdevmapper.so.1.02 | device-mapper = %{evr}, so:libudev.so.1, so:libselinux.so.1, so:libsepol.so.1, so:libc.so.6, /sbin/ldconfig
device-mapper 7:1.02.149-10.el7_6.3 x86_64 | | device-mapper-libs = %{evr}, systemd, util-linux >= 2.15, /bin/sh
util-linux 2.23.2-59.el7_6.1 x86_64 | config(util-linux) = %{evr} | so:libuuid.so.1, so:libblkid.so.1, so:libmount.so.1, so:libpam.so.0, so:libselinux.so.1, so:libtinfo.so.5, so:libz.so.1, pam >= 1.1.3-7, libuuid = %{evr}, /bin/sh, coreutils
libuuid 2.23.2-59.el7_6.1 x86_64 | so:libuuid.so.1, libuuid.so.1(UUID_1.0)(64bit) | so:libc.so.6, /sbin/ldconfig
libblkid 2.23.2-59.el7_6.1 x86_64 | so:libblkid.so.1 | libuuid = %{evr}, so:libuuid.so.1, so:libc.so.6, /sbin/ldconfig
libmount 2.23.2-59.el7_6.1 x86_64 | so:libmount.so.1 | libblkid = %{evr}, so:libblkid.so.1, so:libselinux.so.1, so:libc.so.6, /sbin/ldconfig
json-c 0.11-4.el7_0 x86_64 | so:libjson-c.so.2 | so:libc.so.6, /sbin/ldconfig
kmod-libs 20-23.el7 x86_64 | so:libkmod.so.2 | so:liblzma.so.5, so:libz.so.1, so:libc.so.6, /sbin/ldconfig
kmod 20-23.el7 x86_64 | | kmod-libs = %{evr}, so:libkmod.so.2, so:libc.so.6, /bin/sh
dbus-libs 1:1.10.24-12.el7 x86_64 | so:libdbus-1.so.3 | so:libsystemd.so.0, so:libpthread.so.0, so:libc.so.6, /sbin/ldconfig
dbus 1:1.10.24-12.el7 x86_64 | config(dbus) = %{evr} | dbus-libs(x86-64) = %{evr}, so:libdbus-1.so.3, so:libexpat.so.1, so:libsystemd.so.0, so:libaudit.so.1, so:libcap-ng.so.0, so:libselinux.so.1, systemd, shadow-utils, /bin/sh, /usr/sbin/useradd
perl-libs 4:5.16.3-294.el7_6 x86_64 | so:libperl.so | so:libc.so.6, so:libcrypt.so.1, so:libdl.so.2, so:libm.so.6, so:libpthread.so.0
perl 4:5.16.3-294.el7_6 x86_64 | perl(:MODULE_COMPAT_5.16.3), perl(:VERSION) = 5.16.3, perl(strict) = 1.07, perl(warnings) = 1.13, perl(vars), perl(Carp) = 1.26, perl(Exporter) = 5.68, perl(File::Spec) = 3.40, perl(File::Temp) = 0.23.01, perl(Getopt::Long) = 2.40, perl(POSIX) = 1.30, perl(Data::Dumper), perl(Scalar::Util), perl(constant), perl(base), perl(lib), perl(overload) | perl-libs = %{evr}, so:libperl.so, so:libc.so.6, so:libcrypt.so.1, so:libdl.so.2, so:libm.so.6
python-libs 2.7.5-77.el7_6 x86_64 | so:libpython2.7.so.1.0 | so:libcrypto.so.10, so:libssl.so.10, so:libexpat.so.1, so:libffi.so.6, so:libsqlite3.so.0, so:libreadline.so.6, so:libz.so.1, so:libbz2.so.1, so:libc.so.6, expat >= 2.1.0, /sbin/ldconfig
python 2.7.5-77.el7_6 x86_64 | python(abi) = 2.7, python2 = 2.7.5, python-abi = 2.7 | python-libs(x86-64) = %{evr}, so:libpython2.7.so.1.0, so:libc.so.6
pkgconfig 1:0.27.1-4.el7 x86_64 | | so:libc.so.6, /bin/sh
libstdc++ 4.8.5-36.el7_6.2 x86_64 | so:libstdc++.so.6, libstdc++.so.6(GLIBCXX_3.4)(64bit), libstdc++.so.6(CXXABI_1.3)(64bit) | so:libm.so.6, so:libc.so.6, glibc >= 2.10.90-24, /sbin/ldconfig
libgcc 4.8.5-36.el7_6.2 x86_64 | so:libgcc_s.so.1, libgcc_s.so.1(GCC_3.0)(64bit) | so:libc.so.6, /sbin/ldconfig
freetype 2.8-12.el7_6.1 x86_64 | so:libfreetype.so.6 | so:libz.so.1, so:libpng15.so.15, so:libc.so.6, /sbin/ldconfig
libpng 2:1.5.13-7.el7_2 x86_64 | so:libpng15.so.15 | so:libz.so.1, so:libm.so.6, so:libc.so.6, /sbin/ldconfig
fontconfig 2.13.0-4.3.el7 x86_64 | so:libfontconfig.so.1, config(fontconfig) = %{evr} | so:libexpat.so.1, so:libfreetype.so.6, freetype, fontpackages-filesystem, /bin/sh
fontpackages-filesystem 1.44-8.el7 noarch | |
dejavu-sans-fonts 2.33-6.el7 noarch | font(dejavusans), font(:lang=en), font(:lang=de), font(:lang=fr) | dejavu-fonts-common = %{evr}
dejavu-fonts-common 2.33-6.el7 noarch | | fontpackages-filesystem
libjpeg-turbo 1.2.90-6.el7 x86_64 | so:libjpeg.so.62, libjpeg.so.62(LIBJPEG_6.2)(64bit) | so:libc.so.6, /sbin/ldconfig
libtiff 4.0.3-27.el7_3 x86_64 | so:libtiff.so.5 | so:libjpeg.so.62, so:libjbig.so.2.0, so:libz.so.1, so:libm.so.6, so:libc.so.6, /sbin/ldconfig
jbigkit-libs 2.0-11.el7 x86_64 | so:libjbig.so.2.0 | so:libc.so.6, /sbin/ldconfig
logrotate 3.8.6-17.el7 x86_64 | config(logrotate) = %{evr} | so:libpopt.so.0, so:libselinux.so.1, so:libacl.so.1, coreutils >= 5.92, popt, /bin/sh
rsyslog 8.24.0-34.el7 x86_64 | config(rsyslog) = %{evr}, syslog | so:libestr.so.0, so:libfastjson.so.4, so:libz.so.1, so:libuuid.so.1, so:libsystemd.so.0, bash >= 2.0, logrotate >= 3.5.2, systemd, /bin/sh
libestr 0.1.9-2.el7 x86_64 | so:libestr.so.0 | so:libc.so.6, /sbin/ldconfig
libfastjson 0.99.4-3.el7 x86_64 | so:libfastjson.so.4 | so:libc.so.6, /sbin/ldconfig
openssh 7.4p1-16.el7 x86_64 | config(openssh) = %{evr} | so:libcrypto.so.10, so:libz.so.1, so:libselinux.so.1, so:libfipscheck.so.1, fipscheck-lib(x86-64) >= 1.3.0, /bin/sh, /usr/sbin/useradd
openssh-clients 7.4p1-16.el7 x86_64 | config(openssh-clients) = %{evr} | openssh = %{evr}, fipscheck-lib(x86-64) >= 1.3.0, so:libcrypto.so.10, so:libgssapi_krb5.so.2, so:libkrb5.so.3, so:libselinux.so.1, so:libedit.so.0
openssh-server 7.4p1-16.el7 x86_64 | config(openssh-server) = %{evr} | openssh = %{evr}, so:libpam.so.0, so:libwrap.so.0, so:libcrypto.so.10, so:libsystemd.so.0, pam >= 1.0.1-3, systemd, /bin/sh, /usr/sbin/useradd
fipscheck-lib 1.4.1-6.el7 x86_64 | so:libfipscheck.so.1 | so:libcrypto.so.10, so:libc.so.6, /usr/bin/fipscheck, /sbin/ldconfig
fipscheck 1.4.1-6.el7 x86_64 | | fipscheck-lib(x86-64) = %{evr}, so:libfipscheck.so.1, so:libcrypto.so.10
libedit 3.0-12.20121213cvs.el7 x86_64 | so:libedit.so.0 | so:libtinfo.so.5, so:libc.so.6, /sbin/ldconfig
tcp_wrappers-libs 7.6-77.el7 x86_64 | so:libwrap.so.0 | so:libnsl.so.1, so:libc.so.6, /sbin/ldconfig
httpd-tools 2.4.6-88.el7.centos x86_64 | | so:libapr-1.so.0, so:libaprutil-1.so.0, so:libcrypto.so.10, so:libssl.so.10, so:libc.so.6
httpd 2.4.6-88.el7.centos x86_64 | webserver, config(httpd) = %{evr}, httpd-mmn = 20120211x8664 | httpd-tools = %{evr}, so:libapr-1.so.0, so:libaprutil-1.so.0, so:libpcre.so.1, so:libsystemd.so.0, system-logos >= 7.92.1-1, mailcap, systemd-units, /etc/mime.types, /bin/sh, /usr/sbin/useradd
apr 1.4.8-3.el7_4.1 x86_64 | so:libapr-1.so.0 | so:libuuid.so.1, so:libcrypt.so.1, so:libpthread.so.0, so:libdl.so.2, so:libc.so.6, /sbin/ldconfig
apr-util 1.5.2-6.el7 x86_64 | so:libaprutil-1.so.0 | so:libapr-1.so.0, so:libexpat.so.1, so:libdb-5.3.so, so:libcrypt.so.1, /sbin/ldconfig
libdb 5.3.21-24.el7 x86_64 | so:libdb-5.3.so | so:libpthread.so.0, so:libc.so.6, /sbin/ldconfig
mailcap 2.1.41-2.el7 noarch | |
centos-logos 70.0.6-3.el7.centos noarch | system-logos = %{evr}, redhat-logos = %{evr} |
mariadb-libs 1:5.5.60-1.el7_5 x86_64 | so:libmysqlclient.so.18, libmysqlclient.so.18(libmysqlclient_18)(64bit), config(mariadb-libs) = %{evr} | so:libssl.so.10, so:libcrypto.so.10, so:libz.so.1, so:libstdc++.so.6, /sbin/ldconfig
mariadb 1:5.5.60-1.el7_5 x86_64 | mysql = %{evr}, config(mariadb) = %{evr} | mariadb-libs(x86-64) = %{evr}, so:libmysqlclient.so.18, so:libreadline.so.6, so:libncurses.so.5, so:libstdc++.so.6, /usr/bin/perl, perl(Getopt::Long), perl(strict), perl(Data::Dumper), perl(POSIX), /bin/sh
postfix 2:2.10.1-7.el7 x86_64 | MTA, smtpd, server(smtp), config(postfix) = %{evr} | so:libdb-5.3.so, so:libpcre.so.1, so:libmysqlclient.so.18, so:libsasl2.so.3, so:libssl.so.10, so:libcrypto.so.10, /usr/sbin/alternatives, /usr/sbin/useradd, /usr/sbin/groupadd, systemd, /bin/sh, diffutils
cyrus-sasl-lib 2.1.26-23.el7 x86_64 | so:libsasl2.so.3 | so:libcrypt.so.1, so:libdb-5.3.so, so:libresolv.so.2, so:libc.so.6, /sbin/ldconfig
diffutils 3.3-4.el7 x86_64 | | so:libc.so.6, /sbin/install-info, /bin/sh
dovecot 1:2.2.36-3.el7 x86_64 | config(dovecot) = %{evr}, server(imap), server(pop3) | so:libssl.so.10, so:libcrypto.so.10, so:libpam.so.0, so:libz.so.1, so:libbz2.so.1, so:libcap.so.2, openssl >= 0.9.7f-4, systemd, /usr/sbin/useradd, /bin/sh
spamassassin 3.4.0-4.el7_5 x86_64 | config(spamassassin) = %{evr}, perl(Mail::SpamAssassin) = 3.004000 | perl(:MODULE_COMPAT_5.16.3), perl(Getopt::Long), perl(strict), perl(warnings), perl(File::Spec), perl(Exporter), perl(Carp), perl(POSIX), perl(Data::Dumper), /usr/bin/perl, /bin/sh, procmail, gnupg2
procmail 3.22-36.el7_4.1 x86_64 | | so:libc.so.6
gnupg2 2.0.22-5.el7_5 x86_64 | gpg = %{evr}, gnupg = %{evr} | so:libgcrypt.so.11, so:libgpg-error.so.0, so:libassuan.so.0, so:libz.so.1, so:libbz2.so.1, so:libreadline.so.6, so:libcurl.so.4, pinentry, /sbin/install-info, /bin/sh
libassuan 2.1.0-3.el7 x86_64 | so:libassuan.so.0 | so:libgpg-error.so.0, so:libc.so.6, /sbin/ldconfig
pinentry 0.8.1-17.el7 x86_64 | | so:libncursesw.so.5, so:libcap.so.2, /sbin/install-info, /bin/sh
`

// Syllables for the procedurally named part of SyntheticModel.
var (
	synthHeads = []string{"ar", "bel", "cor", "dal", "em", "fen", "gal", "hyd", "ix", "jor", "kel", "lum", "mar", "nor", "orb", "pax", "quil", "ros", "sol", "tor", "ul", "vex", "wen", "xan", "yor", "zen"}
	synthTails = []string{"io", "ex", "on", "ra", "is", "um", "et", "ix", "al", "or"}
)

// SyntheticModel returns a plausible model without reading any file: a
// hand-written CentOS 7-like base system (glibc, bash, perl, python,
// openssl, systemd, httpd, postfix ...) and about 150 made-up libraries
// and applications that depend on it and on each other. It is the same on
// every call.
func SyntheticModel() *Model {
	m := &Model{}
	var sonames []string // 64-bit sonames provided so far
	var names []string
	for _, line := range strings.Split(strings.TrimSpace(syntheticCore), "\n") {
		parts := strings.Split(line, "|")
		head := strings.Fields(parts[0])
		p := ModelPackage{Name: head[0], Arch: head[2]}
		verRel := head[1]
		if e, v, ok := strings.Cut(verRel, ":"); ok {
			var n uint32
			fmt.Sscan(e, &n)
			p.Epoch, verRel = n, v
		}
		p.Version, p.Release, _ = strings.Cut(verRel, "-")
		self := p.Version + "-" + p.Release
		if p.Epoch != 0 {
			self = fmt.Sprintf("%d:%s", p.Epoch, self)
		}
		p.Provides = []string{p.Name + " = " + self}
		if isa := isaSuffix(p.Arch); isa != "" {
			p.Provides = append(p.Provides, p.Name+isa+" = "+self)
		}
		expand := func(list string) []string {
			var out []string
			for _, d := range strings.Split(list, ",") {
				d = strings.TrimSpace(strings.ReplaceAll(d, "%{evr}", self))
				if d == "" {
					continue
				}
				if so, ok := strings.CutPrefix(d, "so:"); ok {
					d = so + "()(64bit)"
				}
				out = append(out, d)
			}
			return out
		}
		p.Provides = append(p.Provides, expand(parts[1])...)
		p.Requires = expand(parts[2])
		for _, pr := range p.Provides {
			if so, ok := soname(pr); ok && !strings.HasPrefix(so, "libc.") && !strings.HasPrefix(so, "ld-") {
				sonames = append(sonames, pr)
			}
		}
		names = append(names, p.Name)
		m.Packages = append(m.Packages, p)
	}

	// A fixed generator keeps the model identical from call to call.
	rng := rand.New(rand.NewPCG(7, 11))
	libc := []string{"libc.so.6()(64bit)", "libc.so.6(GLIBC_2.2.5)(64bit)", "libc.so.6(GLIBC_2.14)(64bit)", "rtld(GNU_HASH)"}
	used := map[string]bool{}
	for _, n := range names {
		used[n] = true
	}
	for i := 0; len(m.Packages) < 260; i++ {
		stem := synthHeads[rng.IntN(len(synthHeads))] + synthTails[rng.IntN(len(synthTails))]
		lib := i%2 == 0
		name := stem
		if lib {
			name = "lib" + stem
		}
		if used[name] {
			continue
		}
		used[name] = true
		p := ModelPackage{
			Name:    name,
			Version: fmt.Sprintf("%d.%d.%d", rng.IntN(4), rng.IntN(20), rng.IntN(12)),
			Release: fmt.Sprintf("%d.el7", 1+rng.IntN(12)),
			Arch:    "x86_64",
		}
		if rng.IntN(10) == 0 {
			p.Arch = "noarch"
		}
		self := p.Version + "-" + p.Release
		p.Provides = []string{name + " = " + self}
		if isa := isaSuffix(p.Arch); isa != "" {
			p.Provides = append(p.Provides, name+isa+" = "+self)
		}
		if p.Arch != "noarch" {
			p.Requires = append(p.Requires, libc...)
			for range rng.IntN(5) {
				p.Requires = append(p.Requires, sonames[rng.IntN(len(sonames))])
			}
		}
		if lib && p.Arch != "noarch" {
			so := fmt.Sprintf("lib%s.so.%d()(64bit)", stem, rng.IntN(3))
			p.Provides = append(p.Provides, so)
			sonames = append(sonames, so)
			p.Requires = append(p.Requires, "/sbin/ldconfig")
		}
		// Versioned requirements on earlier made-up packages.
		if k := len(m.Packages); rng.IntN(3) == 0 {
			dep := m.Packages[k-1-rng.IntN(min(k, 60))]
			op := ">="
			ver := dep.Version
			if rng.IntN(4) == 0 {
				op, ver = "=", dep.Version+"-"+dep.Release
				if dep.Epoch != 0 {
					ver = fmt.Sprintf("%d:%s", dep.Epoch, ver)
				}
			}
			p.Requires = append(p.Requires, dep.Name+" "+op+" "+ver)
		}
		switch rng.IntN(8) {
		case 0:
			p.Requires = append(p.Requires, "/bin/sh")
		case 1:
			p.Requires = append(p.Requires, "/usr/bin/perl", "perl(strict)", "perl(Getopt::Long)")
		case 2:
			p.Requires = append(p.Requires, "/usr/bin/python", "python(abi) = 2.7")
		}
		m.Packages = append(m.Packages, p)
	}
	return m
}
