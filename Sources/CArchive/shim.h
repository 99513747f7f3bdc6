// libarchive, imported by FerryArchive only.
#ifndef FERRY_CARCHIVE_SHIM_H
#define FERRY_CARCHIVE_SHIM_H
#include <archive.h>
#include <archive_entry.h>

// File-type constants are cast macros Swift cannot import.
static const unsigned int ferry_ae_ifreg = AE_IFREG;
static const unsigned int ferry_ae_ifdir = AE_IFDIR;
#endif
