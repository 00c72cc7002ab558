/*
 * p11kit_none: the p11-kit functions GnuTLS calls, for a tlsmux-tls
 * linked fully static.  p11-kit ships no static library, and linking its
 * shared one brings the dynamic loader back into every TLS connection
 * (0.55 M instructions, 11% of one).  tlsmux reads keys and
 * certificates from files and never asks for a PKCS#11 token, so here
 * PKCS#11 is simply unavailable: no module ever loads, and GnuTLS turns
 * that into GNUTLS_E_PKCS11_LOAD_ERROR for anyone who names a pkcs11:
 * URL (as a --ca, say).  The list is what `nm -u libgnutls.a` asks for
 * (GnuTLS 3.7); a missing one is a link error, not a surprise at run time.
 */
#include <p11-kit/p11-kit.h>
#include <p11-kit/pin.h>
#include <p11-kit/uri.h>
#include <stdlib.h>
#include <string.h>

static const char p11kit_none_text[] =
	"PKCS#11 is not available: tlsmux-tls is built without p11-kit";

const char *p11_kit_message(void)
{
	return p11kit_none_text;
}

const char *p11_kit_strerror(CK_RV rv)
{
	return rv == CKR_OK ? "Success" : p11kit_none_text;
}

/* Modules: none is configured, none can be loaded. */
CK_FUNCTION_LIST **p11_kit_modules_load(const char *reserved, int flags)
{
	return NULL;
}

CK_FUNCTION_LIST *p11_kit_module_load(const char *module_path, int flags)
{
	return NULL;
}

CK_RV p11_kit_module_finalize(CK_FUNCTION_LIST *module)
{
	return CKR_OK;
}

void p11_kit_module_release(CK_FUNCTION_LIST *module)
{
}

char *p11_kit_module_get_name(CK_FUNCTION_LIST *module)
{
	return NULL;
}

int p11_kit_module_get_flags(CK_FUNCTION_LIST *module)
{
	return 0;
}

char *p11_kit_config_option(CK_FUNCTION_LIST *module, const char *option)
{
	return NULL;
}

/* The two string helpers are pure: as p11-kit does them. */
size_t p11_kit_space_strlen(const unsigned char *string, size_t max_length)
{
	size_t i = max_length;

	while (i > 0 && string[i - 1] == ' ')
		i--;
	return i;
}

char *p11_kit_space_strdup(const unsigned char *string, size_t max_length)
{
	size_t length = p11_kit_space_strlen(string, max_length);
	char *copy = malloc(length + 1);

	if (copy != NULL) {
		memcpy(copy, string, length);
		copy[length] = '\0';
	}
	return copy;
}

/* URIs: no URI object can be made, so none is parsed or matched. */
P11KitUri *p11_kit_uri_new(void)
{
	return NULL;
}

void p11_kit_uri_free(P11KitUri *uri)
{
}

int p11_kit_uri_parse(const char *string, P11KitUriType uri_type,
		      P11KitUri *uri)
{
	return P11_KIT_URI_UNEXPECTED;
}

int p11_kit_uri_format(P11KitUri *uri, P11KitUriType uri_type, char **string)
{
	*string = NULL;
	return P11_KIT_URI_UNEXPECTED;
}

int p11_kit_uri_match_module_info(const P11KitUri *uri, const CK_INFO *info)
{
	return 0;
}

int p11_kit_uri_match_token_info(const P11KitUri *uri,
				 const CK_TOKEN_INFO *token_info)
{
	return 0;
}

CK_INFO_PTR p11_kit_uri_get_module_info(P11KitUri *uri)
{
	return NULL;
}

CK_TOKEN_INFO_PTR p11_kit_uri_get_token_info(P11KitUri *uri)
{
	return NULL;
}

CK_ATTRIBUTE_PTR p11_kit_uri_get_attribute(P11KitUri *uri,
					   CK_ATTRIBUTE_TYPE attr_type)
{
	return NULL;
}

CK_ATTRIBUTE_PTR p11_kit_uri_get_attributes(P11KitUri *uri, CK_ULONG *n_attrs)
{
	*n_attrs = 0;
	return NULL;
}

int p11_kit_uri_set_attribute(P11KitUri *uri, CK_ATTRIBUTE_PTR attr)
{
	return P11_KIT_URI_UNEXPECTED;
}

const char *p11_kit_uri_get_pin_value(const P11KitUri *uri)
{
	return NULL;
}

const char *p11_kit_uri_get_pin_source(const P11KitUri *uri)
{
	return NULL;
}

/* PINs: nobody to ask for one. */
int p11_kit_pin_register_callback(const char *pin_source,
				  p11_kit_pin_callback callback,
				  void *callback_data,
				  p11_kit_pin_destroy_func callback_destroy)
{
	return -1;
}

void p11_kit_pin_unregister_callback(const char *pin_source,
				     p11_kit_pin_callback callback,
				     void *callback_data)
{
}

P11KitPin *p11_kit_pin_request(const char *pin_source, P11KitUri *pin_uri,
			       const char *pin_description,
			       P11KitPinFlags pin_flags)
{
	return NULL;
}

P11KitPin *p11_kit_pin_file_callback(const char *pin_source, P11KitUri *pin_uri,
				     const char *pin_description,
				     P11KitPinFlags pin_flags,
				     void *callback_data)
{
	return NULL;
}

P11KitPin *p11_kit_pin_new_for_string(const char *value)
{
	return NULL;
}

void p11_kit_pin_unref(P11KitPin *pin)
{
}

const unsigned char *p11_kit_pin_get_value(P11KitPin *pin, size_t *length)
{
	if (length != NULL)
		*length = 0;
	return NULL;
}

size_t p11_kit_pin_get_length(P11KitPin *pin)
{
	return 0;
}
