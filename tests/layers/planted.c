/* planted.c - a deliberate layer violation for check_symbols_test.sh: an
 * object that pretends to be in model/ and calls a formatter (two layers up). */
struct ps_buf;
int ps_out_report(void);
int planted_model_function(void);
int planted_model_function(void)
{
	return ps_out_report();
}
