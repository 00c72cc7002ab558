/* The floor of the per-connection model: a program that does nothing. */
int main(void)
{
	return 0;
}
