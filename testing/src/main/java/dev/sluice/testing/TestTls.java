package dev.sluice.testing;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x509.TBSCertificate;
import org.bouncycastle.asn1.x509.Time;
import org.bouncycastle.asn1.x509.V3TBSCertificateGenerator;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;

/**
 * TLS material made at test time, never committed: a fresh CA, a server certificate it signed for
 * {@code 127.0.0.1} and {@code localhost}, the server's PKCS12 keystore (key and chain) and a client's
 * PKCS12 truststore holding only the CA.
 *
 * <p>Certificates are built from Bouncy Castle's ASN.1 classes (bcprov, no bcpkix) and signed with
 * the JDK's {@link Signature}; EC P-256 keys, because they are generated in milliseconds.
 *
 * @param keystore the server's keystore: alias {@code server}, key password {@link #password}
 * @param truststore a client's truststore: the CA as alias {@code ca}
 * @param password the password of both stores and of the server's key
 */
public record TestTls(Path keystore, Path truststore, String password) {

    private static final Duration VALIDITY = Duration.ofDays(2);

    /** A new CA and server certificate, their stores written into {@code dir} (created if missing). */
    public static TestTls generate(Path dir, String password) {
        try {
            Files.createDirectories(dir);
            KeyPair ca = keyPair();
            X500Name caName = new X500Name("CN=Sluice test CA " + Long.toHexString(System.nanoTime()));
            X509Certificate caCert = sign(caName, caName, ca.getPublic().getEncoded(), ca.getPrivate(), true);
            KeyPair server = keyPair();
            X509Certificate serverCert = sign(
                    caName, new X500Name("CN=localhost"), server.getPublic().getEncoded(), ca.getPrivate(), false);

            char[] secret = password.toCharArray();
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            keys.setKeyEntry("server", server.getPrivate(), secret, new Certificate[] {serverCert, caCert});
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("ca", caCert);
            TestTls tls = new TestTls(dir.resolve("server.p12"), dir.resolve("truststore.p12"), password);
            store(keys, tls.keystore(), secret);
            store(trust, tls.truststore(), secret);
            return tls;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Could not make the test TLS material", e);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not write the test TLS material into " + dir, e);
        }
    }

    private static KeyPair keyPair() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    private static X509Certificate sign(
            X500Name issuer, X500Name subject, byte[] publicKey, PrivateKey issuerKey, boolean ca)
            throws GeneralSecurityException, IOException {
        AlgorithmIdentifier algorithm = new AlgorithmIdentifier(X9ObjectIdentifiers.ecdsa_with_SHA256);
        ExtensionsGenerator extensions = new ExtensionsGenerator();
        extensions.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
        if (ca) {
            extensions.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        } else {
            extensions.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            extensions.addExtension(
                    Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
            // Clients check the host they dialled against these (ssl.endpoint.identification.algorithm=https).
            extensions.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                new GeneralName(GeneralName.iPAddress, "127.0.0.1"), new GeneralName(GeneralName.dNSName, "localhost")
            }));
        }
        Instant now = Instant.now();
        V3TBSCertificateGenerator tbs = new V3TBSCertificateGenerator();
        tbs.setSerialNumber(new ASN1Integer(new BigInteger(64, new SecureRandom()).add(BigInteger.ONE)));
        tbs.setSignature(algorithm);
        tbs.setIssuer(issuer);
        tbs.setSubject(subject);
        tbs.setStartDate(new Time(Date.from(now.minus(Duration.ofHours(1)))));
        tbs.setEndDate(new Time(Date.from(now.plus(VALIDITY))));
        tbs.setSubjectPublicKeyInfo(SubjectPublicKeyInfo.getInstance(publicKey));
        tbs.setExtensions(extensions.generate());
        TBSCertificate certificate = tbs.generateTBSCertificate();

        Signature signer = Signature.getInstance("SHA256withECDSA");
        signer.initSign(issuerKey);
        signer.update(certificate.getEncoded(ASN1Encoding.DER));
        byte[] der = new DERSequence(new ASN1Encodable[] {certificate, algorithm, new DERBitString(signer.sign())})
                .getEncoded(ASN1Encoding.DER);
        return (X509Certificate)
                CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
    }

    private static void store(KeyStore store, Path file, char[] password) throws GeneralSecurityException, IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            store.store(out, password);
        }
    }
}
