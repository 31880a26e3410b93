/*
 * refsensor-ioctl - how the Windows update agent (refagent.exe) talks to
 * the running driver (refsensor.sys): the driver's control device and its
 * three IOCTLs, shared by both (each includes its own Windows headers
 * first, for CTL_CODE).
 *
 *   RELOAD   re-read every C-*.sys of the content directory, as at boot:
 *            the agent installed a new set
 *   LOAD     the input buffer is one channel file (at most 1 MiB): parse
 *            and evaluate it now, as the Linux module's /proc/refsensor/load
 *            (a live push; with v1 and bad content the bugcheck happens here)
 *   VERSION  the output buffer gets the sensor version, a ULONG
 *
 * RELOAD and LOAD need write access to the device (the device is made with
 * the default security of a driver's device object: SYSTEM and
 * administrators may write), VERSION read access. The driver serialises
 * them with one mutex: content is never evaluated twice at once.
 */
#ifndef REFSENSOR_IOCTL_H
#define REFSENSOR_IOCTL_H

#define REFSENSOR_DEVICE_NT L"\\Device\\refsensor"
#define REFSENSOR_DEVICE_LINK L"\\DosDevices\\Global\\refsensor"
#define REFSENSOR_DEVICE_USER "\\\\.\\Global\\refsensor"

#define IOCTL_REFSENSOR_RELOAD                                                                     \
	CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, FILE_WRITE_ACCESS)
#define IOCTL_REFSENSOR_LOAD                                                                       \
	CTL_CODE(FILE_DEVICE_UNKNOWN, 0x802, METHOD_BUFFERED, FILE_WRITE_ACCESS)
#define IOCTL_REFSENSOR_VERSION                                                                    \
	CTL_CODE(FILE_DEVICE_UNKNOWN, 0x803, METHOD_BUFFERED, FILE_READ_ACCESS)

#endif
