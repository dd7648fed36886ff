// @peculiar/x509 needs reflect-metadata loaded before it, and a WebCrypto provider.
import 'reflect-metadata';
