/* The EMS console text the stand-in prints on COM1 (build.sh names the file). */
	.section .rdata,"dr"
	.globl ems_text, ems_text_end
ems_text:
	.incbin EMS_FILE
ems_text_end:
