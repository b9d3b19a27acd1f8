"""What users read: reply texts (render), the string catalogs (i18n, locales/) and the stats chart."""
