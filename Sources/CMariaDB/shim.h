#include <mysql.h>
#include <errmsg.h>

// mysql_options takes a pointer to the option's value; these keep the Swift
// side to plain calls.

static inline int ferry_mysql_set_uint(MYSQL *mysql, enum mysql_option option, unsigned int value) {
    return mysql_optionsv(mysql, option, &value);
}

static inline int ferry_mysql_set_bool(MYSQL *mysql, enum mysql_option option, my_bool value) {
    return mysql_optionsv(mysql, option, &value);
}

static inline int ferry_mysql_set_text(MYSQL *mysql, enum mysql_option option, const char *value) {
    return mysql_optionsv(mysql, option, value);
}
